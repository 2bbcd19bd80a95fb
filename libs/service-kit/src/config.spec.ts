import { IsBoolean } from 'class-validator';
import { ConfigError, loadConfig, toBool } from './config';

class FlagConfig {
  @toBool()
  @IsBoolean()
  FLAG: boolean = false;
}

describe(loadConfig.name, () => {
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
