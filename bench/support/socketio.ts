/** Starts the Socket.IO peer server (bench/baselines/socketio-server.ts). */
import { join } from 'node:path';
import { BENCH, spawnTs, tempDir, waitForOutput, type Managed, type SpawnOptions } from './processes.js';

export interface SocketIoServer {
  url: string;
  pid: number;
  managed: Managed;
  stop(): Promise<void>;
}

export async function startSocketIoServer(
  secret: string,
  synchronous: 'FULL' | 'NORMAL' = 'FULL',
  spawnOptions: Pick<SpawnOptions, 'nodeArgs' | 'preload'> = {},
): Promise<SocketIoServer> {
  const dbPath = join(tempDir(), 'socketio.db');
  const managed = spawnTs(join(BENCH, 'baselines/socketio-server.ts'), [], {
    env: { DB_PATH: dbPath, SECRET: secret, SQLITE_SYNCHRONOUS: synchronous },
    ...spawnOptions,
  });
  const match = await waitForOutput(managed, /listening (\d+)/);
  return { url: `http://127.0.0.1:${match[1]}`, pid: managed.pid, managed, stop: () => managed.stop() };
}
