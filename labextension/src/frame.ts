/**
 * Work done at most once per animation frame, however often it is asked for:
 * sources change on every keystroke and outputs render bit by bit, and one
 * pass when the browser next draws is enough.
 */

export interface IFrameTask {
  /** Run the task in the next animation frame (once, however often this is called). */
  schedule(): void;
  /** Drop a run not yet made. */
  cancel(): void;
}

export function oncePerFrame(task: () => void): IFrameTask {
  let frame = 0;
  return {
    schedule: () => {
      if (frame === 0) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          task();
        });
      }
    },
    cancel: () => {
      if (frame !== 0) {
        cancelAnimationFrame(frame);
        frame = 0;
      }
    }
  };
}
