import { describe, expect, it } from 'vitest';
import { quote, safeMessage } from './quote.js';
import { parseTeamFile } from './team-file.js';
import { teamDesignDraftSchema } from './team.js';
import { formatIssues } from './validation.js';

const ESC = '\u001b';

describe('quoting input in error messages', () => {
  it('escapes control characters, a terminal escape sequence included, and cuts long values', () => {
    expect(quote(`${ESC}[2Jgone`)).toBe('"\\u001b[2Jgone"');
    expect(quote('a"b\nc')).toBe('"a\\"b\\nc"');
    const long = quote('x'.repeat(1_000_000));
    expect(long.length).toBeLessThan(120);
    expect(long).toContain('(1,000,000 characters)');
    expect(safeMessage(`boom ${ESC}]0;title\u0007`)).toBe('boom \\u001b]0;title\\u0007');
  });

  it('keeps a one-megabyte model name out of the message', () => {
    const agent = {
      id: 'a1',
      name: 'Lead',
      role: 'leader',
      model: 'm'.repeat(1_000_000),
      budgetNanoUsd: null,
      systemPrompt: '',
      permissions: { allowedCommands: [], writeScope: [] },
      idleTimeoutSec: null,
    };
    const parsed = teamDesignDraftSchema.safeParse({
      name: 'd',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [{ id: 't1', name: 'T', budgetNanoUsd: null, position: { x: 0, y: 0 }, agents: [agent] }],
    });
    expect(parsed.success).toBe(false);
    const message = formatIssues(parsed.error?.issues ?? []);
    expect(message).toMatch(/^teams\.0\.agents\.0\.model: unknown model "m{80}… \(1,000,000 characters\)"; known models: /);
    expect(message.length).toBeLessThan(1_000);
  });

  it("never echoes a broken team file's raw bytes", () => {
    const withEscapes = `{"format": "control-room/team-design", ${ESC}[31mred${ESC}[0m`;
    const broken = parseTeamFile(withEscapes);
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.message).not.toContain(ESC);

    const badName = parseTeamFile(
      JSON.stringify({
        format: 'control-room/team-design',
        version: 1,
        design: {
          name: 'd',
          description: '',
          canvas: { zoom: 1, offset: { x: 0, y: 0 } },
          teams: [
            {
              id: 't1',
              name: 'T',
              budgetUsd: null,
              position: { x: 0, y: 0 },
              agents: [
                {
                  id: 'a1',
                  name: `${ESC}[2J${'n'.repeat(5_000)}`,
                  role: 'leader',
                  model: `${ESC}[2Jnope`,
                  budgetUsd: null,
                  systemPrompt: '',
                  permissions: { allowedCommands: [], writeScope: [] },
                  idleTimeoutSec: null,
                },
              ],
            },
          ],
        },
      }),
    );
    expect(badName.ok).toBe(false);
    if (!badName.ok) {
      expect(badName.message).not.toContain(ESC);
      expect(badName.message).toContain('unknown model "\\u001b[2Jnope"');
      expect(badName.message.length).toBeLessThan(1_000);
    }
  });
});
