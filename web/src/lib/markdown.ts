/**
 * Agent answers are Markdown from a third party: rendered with marked, then sanitized with
 * DOMPurify so no script runs, no `javascript:` URL survives, and nothing can restyle or
 * overlay the page. Links open in a new tab without access to this one.
 */
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const marked = new Marked({ gfm: true, breaks: true, async: false });

const FORBID_TAGS = ['style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'form', 'input', 'button', 'select', 'textarea', 'option', 'link', 'meta', 'base', 'svg', 'math'];
const FORBID_ATTR = ['style', 'class', 'id', 'srcset', 'action', 'formaction', 'target'];

// Runs after the attribute checks, so the `target` we set survives FORBID_ATTR (which strips
// any target the agent chose) and every link gets the same safe pair.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
  if (node.tagName === 'IMG') {
    node.setAttribute('loading', 'lazy');
    node.setAttribute('referrerpolicy', 'no-referrer');
  }
});

export function renderMarkdown(text: string): string {
  const html = marked.parse(text) as string;
  return DOMPurify.sanitize(html, {
    FORBID_TAGS,
    FORBID_ATTR,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
  });
}
