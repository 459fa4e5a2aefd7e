/** Starts the bare node:http + SQLite floor server (bench/baselines/floor-server.ts). */
import { join } from 'node:path';
import { BENCH, spawnTs, tempDir, waitForOutput, type Managed } from './processes.js';

export interface FloorServer {
  url: string;
  pid: number;
  dbPath: string;
  managed: Managed;
  stop(): Promise<void>;
}

export async function startFloorServer(): Promise<FloorServer> {
  const dbPath = join(tempDir(), 'floor.db');
  const managed = spawnTs(join(BENCH, 'baselines/floor-server.ts'), [], { env: { DB_PATH: dbPath } });
  const match = await waitForOutput(managed, /listening (\d+)/);
  return { url: `http://127.0.0.1:${match[1]}`, pid: managed.pid, dbPath, managed, stop: () => managed.stop() };
}
