import { useEffect, useMemo, useState } from 'react';

type Render = (text: string) => string;

/**
 * marked + DOMPurify weigh about 27 KB gzipped, a third of the page. They load in their own
 * chunk right after start-up (see preloadMarkdown) instead of delaying the first paint.
 */
let render: Render | null = null;
let loading: Promise<Render> | null = null;

export function preloadMarkdown(): Promise<Render> {
  loading ??= import('../lib/markdown.js').then(
    (module) => (render = module.renderMarkdown),
    (error: unknown) => {
      loading = null; // a later answer tries again
      throw error;
    },
  );
  return loading;
}

/** Sanitized HTML for `text`, or null until the renderer has loaded (show the plain text). */
export function useMarkdown(text: string): string | null {
  const [renderer, setRenderer] = useState<Render | null>(() => render);
  useEffect(() => {
    if (renderer) return;
    let live = true;
    preloadMarkdown().then(
      (fn) => live && setRenderer(() => fn),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [renderer]);
  return useMemo(() => (renderer ? renderer(text) : null), [renderer, text]);
}
