import { useEffect, useRef, useState, type KeyboardEvent, type ReactElement } from 'react';
import { SendIcon } from './icons.js';

interface Props {
  agentName: string | null;
  disabled: boolean;
  /** Changes with each new chat: the composer takes the focus (on devices with a precise pointer). */
  chatKey: number;
  /** Returns false when nothing was sent (empty). */
  onSend(text: string): boolean;
}

export function Composer({ agentName, disabled, chatKey, onSend }: Props): ReactElement {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  const empty = text.trim() === '';

  useEffect(() => {
    // Not on touch screens, where focusing would pop up the keyboard over the empty state.
    if (!disabled && window.matchMedia('(pointer: fine)').matches) ref.current?.focus();
  }, [chatKey, disabled]);

  const submit = (): void => {
    // Read the element, not state: a second Enter in the same frame must see the cleared box.
    const value = ref.current?.value ?? text;
    if (disabled || value.trim() === '') return;
    if (!onSend(value)) return;
    if (ref.current) ref.current.value = '';
    setText('');
    ref.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    submit();
  };

  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <label htmlFor="composer" className="sr-only">
        Message
      </label>
      <textarea
        id="composer"
        ref={ref}
        className="composer__input"
        data-testid="composer"
        rows={1}
        value={text}
        placeholder={agentName ? `Message ${agentName}…` : 'Choose an agent to start'}
        disabled={disabled}
        aria-describedby="composer-hint"
        enterKeyHint="send"
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="composer__send" data-testid="send" disabled={disabled || empty} aria-label="Send message">
        <SendIcon />
      </button>
      <p id="composer-hint" className="composer__hint">
        Enter to send · Shift+Enter for a new line
      </p>
    </form>
  );
}
