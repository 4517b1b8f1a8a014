import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';

/**
 * Parses `--flags` strictly and validates them with zod; prints the usage and exits 2 on any problem,
 * and 0 after printing it for --help.
 */
export function parseCommandLine<S extends z.ZodType>(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: S,
  usage: string,
): z.infer<S> {
  const fail = (message: string): never => {
    process.stderr.write(`error: ${message}\n\n${usage}`);
    process.exit(2);
  };
  let values: Record<string, unknown> = {};
  try {
    ({ values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const result = schema.safeParse(values);
  if (!result.success) return fail(result.error.issues.map((issue) => issue.message).join('\n       '));
  return result.data;
}
