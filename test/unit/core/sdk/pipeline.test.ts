import { describe, expect, it } from 'vitest';
import { laneOf, pipelineQueues, queueSpecs, Topology } from '../../../../lib/core/engine/index.js';
import { ConfigError } from '../../../../lib/core/ports/index.js';
import { definePipeline, defineStage, nextStage } from '../../../../lib/core/sdk/index.js';

const stage = (name: string) => defineStage({ name, inputs: {}, outputs: [], process: () => ({}) });

describe('definePipeline', () => {
  it('reports every problem at once', () => {
    const error = (() => {
      try {
        definePipeline({ name: 'Bad', stages: [stage('a'), stage('a')], priorityLanes: 7 });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems.join('\n')).toMatch(/name: /);
    expect(error.problems.join('\n')).toMatch(/priorityLanes/);
    expect(error.problems.join('\n')).toMatch(/'a' appears twice/);
  });

  it('needs at least one stage', () => {
    expect(() => definePipeline({ name: 'empty', stages: [] })).toThrow(/at least one stage/);
  });

  it('finds the next stage within the job range', () => {
    const p = definePipeline({ name: 'p', stages: [stage('a'), stage('b'), stage('c')] });
    expect(nextStage(p, 'a', 'c')?.name).toBe('b');
    expect(nextStage(p, 'b', 'b')).toBeUndefined();
    expect(nextStage(p, 'c', 'c')).toBeUndefined();
  });
});

describe('topology', () => {
  const p = definePipeline({
    name: 'oma',
    stages: [stage('preprocess'), stage('analyze')],
    priorityLanes: 2,
  });

  it('names one queue per lane and one DLQ per stage, with the prefix', () => {
    const [first] = pipelineQueues(p, 'dev-');
    expect(first?.lanes).toEqual(['dev-oma-preprocess', 'dev-oma-preprocess-p1']);
    expect(first?.dlq).toBe('dev-oma-preprocess-dlq');
    expect(first?.maxReceiveCount).toBe(5);
  });

  it('lists DLQs before the queues that redrive to them', () => {
    const specs = queueSpecs(pipelineQueues(p));
    const dlqAt = specs.findIndex((s) => s.name === 'oma-analyze-dlq');
    const queueAt = specs.findIndex((s) => s.name === 'oma-analyze');
    expect(dlqAt).toBeLessThan(queueAt);
    expect(specs[queueAt]?.deadLetterQueue).toBe('oma-analyze-dlq');
  });

  it('maps priorities 0..9 onto lanes', () => {
    expect([0, 4, 5, 9].map((p) => laneOf(p, 2))).toEqual([0, 0, 1, 1]);
    expect([0, 3, 4, 6, 7, 9].map((p) => laneOf(p, 3))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(laneOf(9, 1)).toBe(0);
  });

  it('routes by priority and resolves a queue back to its stage', () => {
    const t = new Topology([p], 'x-');
    expect(t.queueFor('oma', 'analyze', 9)).toBe('x-oma-analyze-p1');
    expect(t.byQueue('x-oma-analyze-dlq')?.stage).toBe('analyze');
    expect(() => t.stageQueues('oma', 'nope')).toThrow(/no stage 'nope'/);
    expect(() => new Topology([p, p])).toThrow(/registered twice/);
  });

  it('refuses queue names SQS would reject', () => {
    expect(() => pipelineQueues(p, 'x'.repeat(70))).toThrow(/at most 80 characters/);
  });
});
