import { useEffect, useState } from 'react';

/** True once the clock passes `at` (ms since epoch); false while `at` is null. */
export function useDeadline(at: number | null): boolean {
  const [passed, setPassed] = useState(() => at !== null && Date.now() >= at);
  useEffect(() => {
    if (at === null) {
      setPassed(false);
      return;
    }
    const remaining = at - Date.now();
    setPassed(remaining <= 0);
    if (remaining <= 0) return;
    // setTimeout caps near 24.8 days; anything that far away is "not yet" for a page session.
    const timer = setTimeout(() => setPassed(true), Math.min(remaining, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [at]);
  return passed;
}
