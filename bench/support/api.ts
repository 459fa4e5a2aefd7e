/** The few API calls a bench needs to set up: agents and tasks, over real HTTP. */
import type { AgentCredentials } from '../../src/protocol/index.js';

export interface BenchTask {
  taskId: string;
  /** `wc_session=…`, the cookie of the browser session that owns the task. */
  cookie: string;
}

export async function createAgent(url: string, adminToken: string, input: { name: string; endpointUrl?: string }): Promise<AgentCredentials> {
  const response = await fetch(`${url}/api/agents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  if (response.status !== 201) throw new Error(`POST /api/agents: ${response.status} ${await response.text()}`);
  return (await response.json()) as AgentCredentials;
}

/** One task as a page would open it: its own session, one user message. */
export async function createTask(url: string, agentId: string, message = 'Hello from the bench'): Promise<BenchTask> {
  const response = await fetch(`${url}/api/tasks/assign-user-task`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agentId, message }),
  });
  if (response.status !== 201) throw new Error(`assign-user-task: ${response.status} ${await response.text()}`);
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith('wc_session='));
  if (!cookie) throw new Error('assign-user-task set no wc_session cookie');
  const body = (await response.json()) as { taskId: string };
  return { taskId: body.taskId, cookie };
}

/** `count` tasks, `concurrency` requests at a time. */
export async function createTasks(url: string, agentId: string, count: number, concurrency = 32): Promise<BenchTask[]> {
  const tasks: BenchTask[] = new Array<BenchTask>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      tasks[i] = await createTask(url, agentId);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return tasks;
}
