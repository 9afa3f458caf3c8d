import { describe, expect, it } from 'vitest';
import { createProcessMetrics } from '../src/process-metrics.ts';

describe('flash_sale_queue_jobs', () => {
  it('shows each queue as read at scrape time, and leaves a queue out while it cannot be read', async () => {
    let redisAnswers = true;
    const metrics = createProcessMetrics('worker', async (queue) => {
      if (!redisAnswers) throw new Error('Redis is down');
      return { waiting: queue === 'hold-expiry' ? 7 : 0, delayed: 3 };
    });
    const scrape = () => metrics.registry.metrics();

    expect(await scrape()).toContain('flash_sale_queue_jobs{queue="hold-expiry",state="waiting",process="worker"} 7');
    redisAnswers = false;
    expect(await scrape()).not.toContain('flash_sale_queue_jobs{');
    redisAnswers = true;
    expect(await scrape()).toContain('flash_sale_queue_jobs{queue="order-timeout",state="delayed",process="worker"} 3');
  });
});
