import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';

describe('configuration', () => {
  it('when nothing is set, then the embedded defaults run the bot locally without authentication', () => {
    const config = parseConfig({});
    expect(config.port).toBe(3978);
    expect(config.authDisabled).toBe(true);
    expect(config.redisUrl).toBeUndefined();
    expect(config.stateTtlSeconds).toBe(24 * 3600);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.botAuth)).toBe(true);
  });

  it('when values are empty strings, then they count as unset', () => {
    const config = parseConfig({ PORT: '', MicrosoftAppId: '', MicrosoftAppPassword: ' ', REDIS_URL: '' });
    expect(config.port).toBe(3978);
    expect(config.authDisabled).toBe(true);
    expect(config.redisUrl).toBeUndefined();
  });

  it('when several values are wrong, then every problem is reported at once, naming each key', () => {
    let error: unknown;
    try {
      parseConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        MicrosoftAppId: 'abc',
        HANDOFF_WEBHOOK_URL: 'not a url',
        REDIS_URL: 'localhost:6379',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['PORT', 'LOG_LEVEL', 'MicrosoftAppPassword', 'HANDOFF_WEBHOOK_URL', 'REDIS_URL']) {
      expect(problems).toContain(key);
    }
    expect((error as ConfigError).problems.length).toBe(5);
  });

  it('when an app id and password are set, then authentication is on and the settings pass through unchanged', () => {
    const config = parseConfig({
      MicrosoftAppId: 'id-1',
      MicrosoftAppPassword: 'pw',
      MicrosoftAppType: 'SingleTenant',
      MicrosoftAppTenantId: 't-1',
    });
    expect(config.authDisabled).toBe(false);
    expect(config.botAuth).toEqual({
      MicrosoftAppType: 'SingleTenant',
      MicrosoftAppId: 'id-1',
      MicrosoftAppPassword: 'pw',
      MicrosoftAppTenantId: 't-1',
    });
  });

  it('when SingleTenant has no tenant id, then that is a problem', () => {
    expect(() =>
      parseConfig({ MicrosoftAppId: 'id', MicrosoftAppPassword: 'pw', MicrosoftAppType: 'SingleTenant' }),
    ).toThrow(/MicrosoftAppTenantId/);
  });

  it('when booleans are written in the usual ways, then they are understood', () => {
    expect(parseConfig({ TRANSCRIPT_LOGGING: 'yes' }).log.transcripts).toBe(true);
    expect(parseConfig({ TRANSCRIPT_LOGGING: 'off' }).log.transcripts).toBe(false);
    expect(() => parseConfig({ TRANSCRIPT_LOGGING: 'maybe' })).toThrow(/TRANSCRIPT_LOGGING/);
  });
});
