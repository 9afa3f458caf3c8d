import { styleText } from 'node:util';

export type Style = Parameters<typeof styleText>[0];

/** Colour only for a person at a terminal: never into pipes or files, never when NO_COLOR is set. */
export function colourEnabled(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  return colourEnabled(stream) ? styleText(style, text) : text;
}

/** Shorthand for what goes to stdout, where tables and reports are written. */
export const paintOut = (style: Style, text: string) => paint(process.stdout, style, text);
