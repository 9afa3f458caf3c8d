// A full-screen view redrawn in place. Each frame goes to the top-left corner and overwrites the
// previous one line by line (erasing each line's tail and whatever is below the frame), which
// does not flicker the way clearing the whole screen every second does.

const CSI = '\x1b[';
const cursorHome = `${CSI}H`;
const clearScreen = `${CSI}2J`;
const clearToLineEnd = `${CSI}K`;
const clearBelow = `${CSI}J`;
const hideCursor = `${CSI}?25l`;
const showCursor = `${CSI}?25h`;

export interface Screen {
  open(): void;
  draw(frame: string): void;
  /** Restores the terminal (if open() ran): call it on every exit path. */
  close(): void;
}

export function createScreen(stream: NodeJS.WriteStream): Screen {
  // Piped or redirected, there is nothing to redraw: frames are simply appended.
  if (!stream.isTTY) {
    return { open() {}, draw: (frame) => void stream.write(`${frame}\n\n`), close() {} };
  }
  let opened = false;
  return {
    open() {
      opened = true;
      stream.write(hideCursor + clearScreen);
    },
    draw: (frame) => void stream.write(`${cursorHome}${frame.split('\n').join(`${clearToLineEnd}\n`)}${clearToLineEnd}${clearBelow}`),
    close() {
      if (opened) stream.write(`${showCursor}\n`);
      opened = false;
    },
  };
}
