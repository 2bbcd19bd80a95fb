import { JobScheduler } from '@rewards/service-kit';
import { DataSource } from 'typeorm';
import { ReferralsConfig } from '../config/referrals.config';
import { Click, ClickRecorder } from './click-recorder';

const click = (n: number): Click => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  code: 'ABCD2345',
  deviceHash: 'd'.repeat(64),
  ipHash: null,
  userAgent: 'test',
  clickedAt: new Date('2026-12-01T00:00:00Z'),
});

function recorderWith(query: jest.Mock) {
  const config = Object.assign(new ReferralsConfig(), {
    CLICK_FLUSH_INTERVAL_MS: 60_000,
    CLICK_BUFFER_MAX: 5,
  });
  const dataSource = { query } as unknown as DataSource;
  // Never booted: the flushes are the ones the tests make.
  return new ClickRecorder(dataSource, config, new JobScheduler(dataSource));
}

describe(ClickRecorder.name, () => {
  it('writes buffered clicks in one multi-row insert', async () => {
    const query = jest.fn().mockResolvedValue([]);
    const recorder = recorderWith(query);
    recorder.record(click(1));
    recorder.record(click(2));
    expect(query).not.toHaveBeenCalled();
    await recorder.flush();
    expect(query).toHaveBeenCalledTimes(1);
    expect(query.mock.calls[0][1]).toHaveLength(12);
  });

  it('keeps clicks whose write failed and writes them at shutdown', async () => {
    const query = jest.fn().mockRejectedValueOnce(new Error('db down')).mockResolvedValue([]);
    const recorder = recorderWith(query);
    recorder.record(click(1));
    await recorder.flush();
    recorder.record(click(2));
    await recorder.beforeApplicationShutdown();
    expect(query).toHaveBeenCalledTimes(2);
    const written = query.mock.calls[1][1] as unknown[];
    expect(written.filter((v) => typeof v === 'string' && v.startsWith('0000'))).toEqual([
      click(1).id,
      click(2).id,
    ]);
  });

  it('drops the oldest clicks past the buffer limit rather than grow without bound', async () => {
    const query = jest.fn().mockResolvedValue([]);
    const recorder = recorderWith(query);
    for (let n = 1; n <= 7; n++) recorder.record(click(n));
    await recorder.flush();
    const written = query.mock.calls[0][1] as unknown[];
    expect(written).toHaveLength(5 * 6);
    expect(written[0]).toBe(click(3).id);
  });
});
