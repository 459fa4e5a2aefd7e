/**
 * Heartbeat comments keep proxies from cutting idle streams. Streams are spread over buckets and
 * one bucket is written per tick, so 10,000 streams never get their heartbeats in a single
 * event-loop turn (that would stall every other reader for ~15 ms).
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

  add(stream: Beating): () => void {
    const bucket = this.buckets[this.next++ % this.buckets.length] as Set<Beating>;
    bucket.add(stream);
    return () => bucket.delete(stream);
  }

  private beat(): void {
    const bucket = this.buckets[this.tick++ % this.buckets.length] as Set<Beating>;
    for (const stream of bucket) stream.heartbeat();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
