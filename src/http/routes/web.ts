/** The built chat page (web/dist): /chat is the page, / leads there, /assets/* are its files. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** web/dist, found from this file whether it runs from src/ (tsx) or dist/src/ (compiled). */
export function webDistDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'web', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  return join(process.cwd(), 'web', 'dist');
}

export async function webRoutes(app: FastifyInstance): Promise<void> {
  const root = webDistDir();
  const built = existsSync(join(root, 'index.html'));
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/chat'));
  if (!built) {
    app.get('/chat', { schema: { hide: true } }, async (_request, reply) =>
      reply.status(503).type('text/plain; charset=utf-8').send('The chat page is not built yet: run `npm run build`.'),
    );
    return;
  }
  await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: false, serve: true, maxAge: '1h', immutable: false });
  app.get('/chat', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', root);
  });
}
