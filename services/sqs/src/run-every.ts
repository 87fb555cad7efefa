// A background loop for a leader: runs `work` every `ms` (never two at once) until `signal` aborts,
// which is when this node stops leading the loop or the service closes.
export function runEvery(ms: number, signal: AbortSignal, work: () => Promise<unknown>, onError: (error: unknown) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || signal.aborted) return;
      busy = true;
      work()
        .catch((error: unknown) => {
          if (!signal.aborted) onError(error);
        })
        .finally(() => {
          busy = false;
        });
    }, ms);
    timer.unref();
    const stop = () => {
      clearInterval(timer);
      resolve();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}
