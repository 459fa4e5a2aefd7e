// The chat page's reducer (web/src/state/chat-state.ts): every network result, however late or
// repeated, merges the same way. Answers are deduplicated by messageId and seq and kept in seq
// order, the cursor only moves forward, task views only move forward by version, and results of
// an older chat are dropped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Communication, TaskView } from '../../src/protocol/index.js';
import { chatReducer, initialChat, type ChatAction, type ChatState } from '../../web/src/state/chat-state.js';

const TASK = 'task_1700000000000_0123456789abcdef0123456789abcdef';
const OTHER_TASK = 'task_1700000000000_fedcba9876543210fedcba9876543210';

function answer(seq: number, messageId: string, extra: Partial<Communication> = {}): Communication {
  return {
    messageId,
    taskId: TASK,
    seq,
    direction: 'agent',
    agentId: 'helper',
    response: `answer ${messageId}`,
    final: true,
    inReplyTo: null,
    createdAt: new Date(1_700_000_000_000 + seq).toISOString(),
    ...extra,
  };
}

function view(version: number, extra: Partial<TaskView> = {}): TaskView {
  return {
    taskId: TASK,
    agentId: 'helper',
    state: 'queued',
    version,
    agentStatus: null,
    turns: [],
    stillWaitingAfterMs: 30_000,
    turnTimeoutMs: 600_000,
    createdAt: new Date(1_700_000_000_000).toISOString(),
    updatedAt: new Date(1_700_000_000_000 + version).toISOString(),
    ...extra,
  };
}

/** A chat whose first message was stored as seq 1 of TASK. */
function chatWithTask(): ChatState {
  const actions: ChatAction[] = [
    { type: 'enqueue', messageId: 'msg_1', text: 'hello', sentAt: 1000 },
    { type: 'sending', session: 0, messageId: 'msg_1' },
    {
      type: 'sent',
      session: 0,
      messageId: 'msg_1',
      response: { success: true, taskId: TASK, messageId: 'msg_1', seq: 1, duplicate: false, task: view(1) },
    },
  ];
  return actions.reduce(chatReducer, initialChat('helper'));
}

function synced(state: ChatState, update: { responses?: Communication[]; cursor?: number | null; task?: TaskView | null }): ChatState {
  return chatReducer(state, {
    type: 'synced',
    session: state.session,
    update: { responses: update.responses ?? [], cursor: update.cursor ?? null, task: update.task ?? null },
  });
}

describe('chatReducer: merging answers', () => {
  it('keeps answers in seq order whatever order they arrive in', () => {
    let state = chatWithTask();
    state = synced(state, { responses: [answer(4, 'a4'), answer(2, 'a2')] });
    state = synced(state, { responses: [answer(3, 'a3')] });
    assert.deepEqual(state.answers.map((a) => a.seq), [2, 3, 4]);
    assert.equal(state.cursor, 4);
  });

  it('shows an answer once when the stream, a poll and Refresh all bring it', () => {
    let state = chatWithTask();
    state = synced(state, { responses: [answer(2, 'a2')] });
    state = synced(state, { responses: [answer(2, 'a2'), answer(3, 'a3')], cursor: 3 });
    state = synced(state, { responses: [answer(2, 'a2'), answer(3, 'a3')], cursor: 3 });
    assert.deepEqual(state.answers.map((a) => a.messageId), ['a2', 'a3']);
  });

  it('drops a repeat of a known messageId or seq, and a repeat within one batch', () => {
    let state = chatWithTask();
    state = synced(state, { responses: [answer(2, 'a2')] });
    state = synced(state, { responses: [answer(5, 'a2'), answer(2, 'other-id')] });
    assert.deepEqual(state.answers.map((a) => [a.seq, a.messageId]), [[2, 'a2']]);
    state = synced(state, { responses: [answer(6, 'twice'), answer(6, 'twice')] });
    assert.deepEqual(state.answers.map((a) => a.messageId), ['a2', 'twice']);
  });

  it('returns the same state when nothing new arrived, so the page does not re-render', () => {
    const state = synced(chatWithTask(), { responses: [answer(2, 'a2')], cursor: 2 });
    assert.equal(synced(state, { responses: [answer(2, 'a2')], cursor: 2 }), state);
    assert.equal(synced(state, { cursor: 1 }), state);
    assert.equal(synced(state, {}), state);
  });

  it('ignores user messages and answers of another task', () => {
    let state = chatWithTask();
    state = synced(state, {
      responses: [answer(2, 'mine-user', { direction: 'user' }), answer(3, 'elsewhere', { taskId: OTHER_TASK }), answer(4, 'a4')],
    });
    assert.deepEqual(state.answers.map((a) => a.messageId), ['a4']);
  });

  it('moves the cursor forward only', () => {
    let state = synced(chatWithTask(), { cursor: 7 });
    assert.equal(state.cursor, 7);
    state = synced(state, { cursor: 3, responses: [answer(2, 'late')] });
    assert.equal(state.cursor, 7);
    assert.deepEqual(state.answers.map((a) => a.messageId), ['late'], 'a late answer still shows, in its place');
  });
});

describe('chatReducer: task views', () => {
  it('keeps the newest version; an older one arriving late is ignored', () => {
    let state = synced(chatWithTask(), { task: view(5, { state: 'answered' }) });
    state = synced(state, { task: view(3, { state: 'working' }) });
    assert.equal(state.task?.version, 5);
    assert.equal(state.task?.state, 'answered');
    state = synced(state, { task: view(6, { state: 'queued' }) });
    assert.equal(state.task?.version, 6);
  });

  it("ignores another task's view", () => {
    const state = synced(chatWithTask(), { task: view(9, { taskId: OTHER_TASK }) });
    assert.equal(state.task?.taskId, TASK);
    assert.equal(state.task?.version, 1);
  });

  it('a successful read clears a sync error', () => {
    let state = chatReducer(chatWithTask(), { type: 'syncFailed', session: 0, error: 'Task not found' });
    assert.equal(state.syncError, 'Task not found');
    state = synced(state, { task: view(1) });
    assert.equal(state.syncError, null);
  });
});

describe('chatReducer: sessions and sending', () => {
  it('a new chat starts empty and drops what the old one still receives', () => {
    const old = synced(chatWithTask(), { responses: [answer(2, 'a2')] });
    const fresh = chatReducer(old, { type: 'newChat', agentId: 'helper' });
    assert.deepEqual(fresh, initialChat('helper', 1));
    const late: ChatAction = { type: 'synced', session: 0, update: { responses: [answer(3, 'a3')], cursor: 3, task: view(4) } };
    assert.equal(chatReducer(fresh, late), fresh);
    const lateSend: ChatAction = {
      type: 'sent',
      session: 0,
      messageId: 'msg_1',
      response: { success: true, taskId: TASK, messageId: 'msg_1', seq: 1, duplicate: true, task: view(1) },
    };
    assert.equal(chatReducer(fresh, lateSend), fresh);
  });

  it('a send answered for another task is ignored', () => {
    const state = chatReducer(chatWithTask(), { type: 'enqueue', messageId: 'msg_2', text: 'again', sentAt: 2000 });
    const next = chatReducer(state, {
      type: 'sent',
      session: 0,
      messageId: 'msg_2',
      response: { success: true, taskId: OTHER_TASK, messageId: 'msg_2', seq: 1, duplicate: false, task: view(1, { taskId: OTHER_TASK }) },
    });
    assert.equal(next, state);
  });

  it('places a message not stored yet after what was known when it was written', () => {
    let state = synced(chatWithTask(), { responses: [answer(2, 'a2'), answer(3, 'a3')] });
    state = chatReducer(state, { type: 'enqueue', messageId: 'msg_2', text: 'next', sentAt: 3000 });
    const message = state.users.find((u) => u.messageId === 'msg_2');
    assert.equal(message?.afterSeq, 3);
    assert.equal(message?.status, 'queued');
    assert.equal(message?.seq, null);
  });

  it('holds queued messages while the server is unreachable and requeues them once', () => {
    let state = chatReducer(chatWithTask(), { type: 'enqueue', messageId: 'msg_2', text: 'offline', sentAt: 2000 });
    state = chatReducer(state, { type: 'holdQueued', error: "Can't reach the server" });
    const held = state.users.find((u) => u.messageId === 'msg_2');
    assert.deepEqual([held?.status, held?.autoRetry], ['failed', true]);
    assert.equal(state.users.find((u) => u.messageId === 'msg_1')?.status, 'sent', 'a sent message stays sent');
    state = chatReducer(state, { type: 'requeue', messageIds: ['msg_2', 'msg_1'] });
    assert.equal(state.users.find((u) => u.messageId === 'msg_2')?.status, 'queued');
    assert.equal(state.users.find((u) => u.messageId === 'msg_1')?.status, 'sent', 'only failed messages are requeued');
    assert.equal(state.users.length, 2, 'no copy is made');
  });
});
