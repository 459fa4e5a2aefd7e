/**
 * Starts an ingest baseline: the bare node:http + SQLite floor (bench/baselines/floor-server.ts),
 * or the server's HTTP stack without its relay and store (bench/baselines/http-stack-server.ts).
 */
import { join } from 'node:path';
import { BENCH, spawnTs, tempDir, waitForOutput, type Managed } from './processes.js';

export interface FloorServer {
  url: string;
  pid: number;
  dbPath: string;
  managed: Managed;
  stop(): Promise<void>;
}

export async function startFloorServer(kind: 'floor' | 'http-stack' = 'floor', env: Record<string, string> = {}): Promise<FloorServer> {
  const dbPath = join(tempDir(), `${kind}.db`);
  const managed = spawnTs(join(BENCH, `baselines/${kind}-server.ts`), [], { env: { DB_PATH: dbPath, ...env } });
  const match = await waitForOutput(managed, /listening (\d+)/);
  return { url: `http://127.0.0.1:${match[1]}`, pid: managed.pid, dbPath, managed, stop: () => managed.stop() };
}
