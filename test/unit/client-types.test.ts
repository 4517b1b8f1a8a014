import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, generateClientTypes } from '../../scripts/generate-client.js';

describe('typed client (src/client/openapi.ts)', () => {
  it('matches the types generated from /openapi.json today (else: npm run client:generate)', async () => {
    const committed = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    const generated = await generateClientTypes();
    // A readable failure: the first differing line, not a 300 kB diff.
    const committedLines = committed.split('\n');
    const generatedLines = generated.split('\n');
    const first = generatedLines.findIndex((line, index) => line !== committedLines[index]);
    expect(
      first === -1 && committedLines.length === generatedLines.length ? 'in sync' : `differs from line ${first + 1}: ${generatedLines[first] ?? '(end)'}`,
      'src/client/openapi.ts is stale: run npm run client:generate',
    ).toBe('in sync');
  });

  it('describes the routes the client is for, with their bodies and answers', async () => {
    const types = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    expect(types).toContain('"/v1/credits/top-up-options"');
    expect(types).toMatch(/TopUpPaymentIntent: \{[^}]*client_secret: string;/s);
  });
});
