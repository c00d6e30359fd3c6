/** A command line the CLI cannot act on: reported with the usage text, exit 2. */
export class UsageError extends Error {}
