/** A credential is at most 256 KiB; an envelope percent-encodes it, which can grow it threefold. */
export const MAX_INPUT_BYTES = 1024 * 1024;

export class InputTooLarge extends Error {}

/** The text of a chosen or dropped file, refused before reading when it cannot be a credential. */
export async function fileText(file: File): Promise<string> {
  if (file.size > MAX_INPUT_BYTES)
    throw new InputTooLarge(`${file.name} is ${file.size} bytes; a credential file is at most ${MAX_INPUT_BYTES}`);
  return file.text();
}

/** What was dropped: a file, or text dragged from another page or application. */
export async function droppedText(data: DataTransfer | null): Promise<string | undefined> {
  const file = data?.files[0];
  if (file) return fileText(file);
  const text = data?.getData('text/plain') ?? '';
  return text.trim() === '' ? undefined : text;
}
