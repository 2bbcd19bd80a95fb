import { IsBoolean, IsString } from 'class-validator';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { toBool } from './config-decorators';

class FlagConfig {
  @toBool()
  @IsBoolean()
  FLAG: boolean = false;
}

class SecretConfig {
  @IsString()
  KEY!: string;
}

describe(loadConfig.name, () => {
  describe('with <NAME>_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-spec-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the value from the file, without its trailing newline', () => {
      const path = join(dir, 'key');
      writeFileSync(path, 'from-a-file\n');
      expect(loadConfig(SecretConfig, { KEY_FILE: path }).KEY).toBe('from-a-file');
      expect(loadConfig(SecretConfig, { KEY: 'direct', KEY_FILE: path }).KEY).toBe('direct');
    });

    it('refuses to boot when the file cannot be read, naming the variable', () => {
      expect(() => loadConfig(SecretConfig, { KEY_FILE: join(dir, 'missing') })).toThrow(
        /KEY_FILE .*cannot be read/,
      );
    });
  });

  it.each([
    ['true', true],
    ['YES', true],
    ['0', false],
    ['no', false],
  ])('reads the boolean word %s', (raw, expected) => {
    expect(loadConfig(FlagConfig, { FLAG: raw }).FLAG).toBe(expected);
  });

  it('keeps the default when the variable is unset', () => {
    expect(loadConfig(FlagConfig, {}).FLAG).toBe(false);
  });

  it('refuses a boolean it cannot read instead of treating a typo as false', () => {
    expect(() => loadConfig(FlagConfig, { FLAG: 'ture' })).toThrow(ConfigError);
    expect(() => loadConfig(FlagConfig, { FLAG: 'ture' })).toThrow(/FLAG \(got "ture"\)/);
  });
});
