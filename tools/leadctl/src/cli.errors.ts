/** A refusal the user can fix by changing the input (exit code 1). */
export class CliFailure extends Error {
  readonly exitCode: number = 1;
}

/** The command line itself is wrong: a bad option value or combination (exit code 2). */
export class UsageError extends CliFailure {
  override readonly exitCode = 2;
}
