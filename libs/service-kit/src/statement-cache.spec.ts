import { StatementNames } from './statement-cache';

describe(StatementNames.name, () => {
  it('names a text from its second run on, the same name each time', () => {
    const names = new StatementNames(10);
    expect(names.nameFor('SELECT $1')).toBeUndefined();
    const name = names.nameFor('SELECT $1');
    expect(name).toMatch(/^rw_[0-9a-f]{24}_0$/);
    expect(names.nameFor('SELECT $1')).toBe(name);
  });

  it('names no more texts than its bound', () => {
    const names = new StatementNames(2);
    const texts = ['SELECT $1', 'SELECT $1, $2', 'SELECT $1, $2, $3'];
    for (const text of texts) names.nameFor(text);
    const named = texts.map((text) => names.nameFor(text));
    expect(named.filter((n) => n !== undefined)).toHaveLength(2);
    expect(named[2]).toBeUndefined();
  });

  it('remembers no more texts seen once than its bound', () => {
    const names = new StatementNames(2);
    for (let i = 1; i <= 5; i++) names.nameFor(`SELECT ${i} + $1`);
    // The fifth text cleared the first four from memory: they start over.
    expect(names.nameFor('SELECT 1 + $1')).toBeUndefined();
    expect(names.nameFor('SELECT 5 + $1')).toBeDefined();
  });

  it('gives a forgotten text a new name on its next run', () => {
    const names = new StatementNames(10);
    names.nameFor('SELECT * FROM t WHERE id = $1');
    const first = names.nameFor('SELECT * FROM t WHERE id = $1');
    names.forget('SELECT * FROM t WHERE id = $1');
    const second = names.nameFor('SELECT * FROM t WHERE id = $1');
    expect(second).toMatch(/^rw_[0-9a-f]{24}_1$/);
    expect(second).not.toBe(first);
  });
});
