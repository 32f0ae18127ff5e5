import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { coderTools, planningTools, toolDefinitions } from './agent-tools.js';

describe('toolDefinitions', () => {
  it('converts each tool set once and hands every caller the same definitions', () => {
    const first = toolDefinitions(coderTools);
    expect(toolDefinitions(coderTools)).toBe(first);
    expect(toolDefinitions(planningTools)).not.toBe(first);
    expect(first.map((t) => t.name)).toEqual(Object.keys(coderTools));
    expect(first[0]?.input_schema).toEqual(z.toJSONSchema(coderTools.read_file, { io: 'input' }));
  });

  it('freezes the shared definitions, so no request can change another one', () => {
    const defs = toolDefinitions(coderTools);
    expect(Object.isFrozen(defs)).toBe(true);
    expect(Object.isFrozen(defs[0])).toBe(true);
    expect(Object.isFrozen(defs[0]?.input_schema.properties)).toBe(true);
    expect(() => {
      (defs[0] as { description?: string }).description = 'changed';
    }).toThrow(TypeError);
  });

  it('keeps a new tool set apart from the cached ones', () => {
    const custom = { ping: z.object({ host: z.string() }) };
    const defs = toolDefinitions(custom);
    expect(defs).toEqual([
      { name: 'ping', description: 'ping', input_schema: z.toJSONSchema(custom.ping, { io: 'input' }) },
    ]);
    expect(toolDefinitions(custom)).toBe(defs);
  });
});
