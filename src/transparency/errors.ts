/** What a log's reader can refuse: stable codes, a message naming what was wrong. */
export type TransparencyErrorCode =
  'malformed_note' | 'unverified_note' | 'invalid_note_signature' | 'malformed_checkpoint' | 'malformed_entry';

/** A note, checkpoint or entry refused; the code is stable, the message names what was wrong. */
export class TransparencyError extends Error {
  constructor(
    readonly code: TransparencyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransparencyError';
  }
}
