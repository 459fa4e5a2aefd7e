/** Small inline icons (decorative: every control that uses one also has a text label). */
import type { ReactElement } from 'react';

function Svg({ children, size = 16 }: { children: ReactElement | ReactElement[]; size?: number }): ReactElement {
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {children}
    </svg>
  );
}

export const SendIcon = (): ReactElement => (
  <Svg size={18}>
    <path d="M22 2 11 13" />
    <path d="M22 2 15 22l-4-9-9-4 20-7z" />
  </Svg>
);

export const CopyIcon = (): ReactElement => (
  <Svg>
    <rect x="9" y="9" width="13" height="13" rx="2" />
    <path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1" />
  </Svg>
);

export const CheckIcon = (): ReactElement => (
  <Svg>
    <path d="M20 6 9 17l-5-5" />
  </Svg>
);

export const RefreshIcon = (): ReactElement => (
  <Svg>
    <path d="M21 12a9 9 0 1 1-3-6.7L21 8" />
    <path d="M21 3v5h-5" />
  </Svg>
);

export const PlusIcon = (): ReactElement => (
  <Svg>
    <path d="M12 5v14M5 12h14" />
  </Svg>
);

export const ArrowDownIcon = (): ReactElement => (
  <Svg>
    <path d="M12 5v14M19 12l-7 7-7-7" />
  </Svg>
);

export const AlertIcon = (): ReactElement => (
  <Svg>
    <path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z" />
    <path d="M12 9v4M12 17h.01" />
  </Svg>
);

export const CloseIcon = (): ReactElement => (
  <Svg>
    <path d="M18 6 6 18M6 6l12 12" />
  </Svg>
);

export const LogoMark = (): ReactElement => (
  <svg className="logo" width="28" height="28" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
    <rect width="32" height="32" rx="8" className="logo__bg" />
    <path d="M9 10h14a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2h-7l-5 4v-4H9a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2z" className="logo__bubble" />
    <circle cx="12.5" cy="15.5" r="1.5" className="logo__dot" />
    <circle cx="16.5" cy="15.5" r="1.5" className="logo__dot" />
    <circle cx="20.5" cy="15.5" r="1.5" className="logo__dot" />
  </svg>
);
