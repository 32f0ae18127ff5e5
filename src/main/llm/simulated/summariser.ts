/**
 * The simulated reply when no tools are offered: in practice the engine's context
 * compaction ("Summarise the conversation so far"). The summary keeps what a real one
 * keeps — the goal, the task, files touched, decisions, open items — so its size grows
 * with the conversation, as a real summary's does.
 */
import { clip, firstLabel, messageText, pastToolCalls, promptText, proseText } from './conversation.js';
import type { MessagesRequest } from '../provider.js';
import { say, type DraftBlock, type RoleInput } from './reply.js';

const FILE = /(?:^|[\s`'"(])((?:[\w.-]+\/)*[\w.-]+\.(?:m?js|cjs|tsx?|jsx|json|md|ya?ml|css|html|sql))\b/g;

function summary(request: MessagesRequest): string {
  const text = promptText(request);
  const everything = request.messages.map(messageText).join('\n');
  const lines: string[] = ['Summary of the conversation so far.'];
  const goal = firstLabel(text, 'Goal', 'Mission goal');
  const task = firstLabel(text, 'Task');
  if (goal) lines.push(`Goal: ${clip(goal, 300)}`);
  if (task) lines.push(`Task: ${clip(task, 200)}`);

  const calls = pastToolCalls(request);
  if (calls.length > 0) {
    lines.push('', 'Actions taken:');
    for (const c of calls.slice(-40)) {
      const target = c.input['path'] ?? c.input['command'] ?? c.input['key'] ?? '';
      const outcome =
        c.result === null ? 'no result yet' : c.result.isError ? `failed: ${clip(c.result.text, 100)}` : 'ok';
      lines.push(`- ${c.name}${target !== '' ? ` ${String(target)}` : ''} (${outcome})`);
    }
  }
  const files = [...new Set([...everything.matchAll(FILE)].map((m) => m[1] ?? ''))]
    .filter((f) => f !== '')
    .slice(0, 20);
  if (files.length > 0) lines.push('', `Files mentioned: ${files.join(', ')}`);

  const decisions = everything
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /\b(approved|rejected|decided|answer|agreed|feedback|must|should not)\b/i.test(l))
    .slice(-8);
  if (decisions.length > 0)
    lines.push('', 'Decisions and constraints:', ...decisions.map((d) => `- ${clip(d, 200)}`));

  const recent = request.messages
    .slice(-3)
    .map((m) => `${m.role}: ${clip(proseText(m) || messageText(m), 300)}`);
  lines.push('', 'Most recent exchange:', ...recent.map((r) => `- ${r}`));
  lines.push(
    '',
    'Open items: finish the current step, keep to the owned paths, and report results in the next submission.',
  );
  return lines.join('\n');
}

/** A prose reply: the conversation's summary. */
export function textReply({ request }: RoleInput): DraftBlock[] {
  return [say(summary(request))];
}
