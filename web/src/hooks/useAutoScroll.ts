import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';

/** Within this many pixels of the bottom counts as "reading the latest". */
const NEAR_BOTTOM_PX = 80;

export interface AutoScroll {
  onScroll(): void;
  /** Answers that arrived while the reader was scrolled up. */
  unseen: number;
  scrollToBottom(): void;
}

/**
 * Follows the conversation while the reader is at the bottom. Once they scroll up to read,
 * new answers are counted instead of yanking them down. Their own new message always scrolls.
 *
 * @param itemCount  number of messages (user and agent)
 * @param ownCount   number of the reader's own messages
 */
export function useAutoScroll(
  scroller: RefObject<HTMLElement | null>,
  content: RefObject<HTMLElement | null>,
  itemCount: number,
  ownCount: number,
): AutoScroll {
  const atBottom = useRef(true);
  const seen = useRef({ items: itemCount, own: ownCount });
  const [unseen, setUnseen] = useState(0);

  const scrollToBottom = useCallback(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setUnseen(0);
  }, [scroller]);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight <= NEAR_BOTTOM_PX;
    if (atBottom.current) setUnseen(0);
  }, [scroller]);

  useLayoutEffect(() => {
    const before = seen.current;
    seen.current = { items: itemCount, own: ownCount };
    if (itemCount < before.items) {
      // A new chat: start at the top with nothing unseen.
      atBottom.current = true;
      setUnseen(0);
      return;
    }
    const added = itemCount - before.items;
    if (added <= 0) return;
    if (atBottom.current || ownCount > before.own) scrollToBottom();
    else setUnseen((n) => n + added);
  }, [itemCount, ownCount, scrollToBottom]);

  // Content that grows on its own (the waiting bar, images, wrapped code) keeps the bottom in view.
  useEffect(() => {
    const el = content.current;
    if (!el || typeof ResizeObserver !== 'function') return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current && scroller.current) scroller.current.scrollTop = scroller.current.scrollHeight;
    });
    observer.observe(el);
    if (scroller.current) observer.observe(scroller.current);
    return () => observer.disconnect();
  }, [content, scroller]);

  return { onScroll, unseen, scrollToBottom };
}
