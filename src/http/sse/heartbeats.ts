/**
 * Heartbeat comments keep proxies from cutting idle streams. Streams are spread over buckets and
 * one bucket is written per tick, so 10,000 streams never get their heartbeats in a single
 * event-loop turn (that would stall every other reader for ~15 ms).
 *
 * A stream's place is the number of its bucket, which the caller keeps and hands back to remove it:
 * a small integer costs nothing, where a closure per stream would cost ~100 bytes per reader.
 */
export interface Beating {
  heartbeat(): void;
}

export class Heartbeats {
  private readonly buckets: Set<Beating>[];
  private next = 0;
  private tick = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number, bucketCount = 50) {
    const count = Math.max(1, Math.min(bucketCount, intervalMs));
    this.buckets = Array.from({ length: count }, () => new Set<Beating>());
    this.timer = setInterval(() => this.beat(), Math.max(1, Math.floor(intervalMs / count)));
    this.timer.unref();
  }

  /** Adds `stream`; returns its bucket, for `remove`. */
  add(stream: Beating): number {
    const bucket = this.next;
    this.next = (this.next + 1) % this.buckets.length;
    (this.buckets[bucket] as Set<Beating>).add(stream);
    return bucket;
  }

  /** Removes `stream` from `bucket` (what `add` returned); removing twice does nothing. */
  remove(stream: Beating, bucket: number): void {
    this.buckets[bucket]?.delete(stream);
  }

  private beat(): void {
    const bucket = this.buckets[this.tick] as Set<Beating>;
    this.tick = (this.tick + 1) % this.buckets.length;
    for (const stream of bucket) stream.heartbeat();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
