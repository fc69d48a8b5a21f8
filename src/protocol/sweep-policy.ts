import { z } from 'zod';

/**
 * A sweep job's `early_termination`, as Azure ML v2 YAML writes it (bandit, median_stopping,
 * truncation_selection). Browser-safe: the studio reads it too. What the policies do is in
 * src/domain/sweep/early-termination.ts.
 */

export const EARLY_TERMINATION_TYPES = ['bandit', 'median_stopping', 'truncation_selection'] as const;
export type EarlyTerminationType = (typeof EARLY_TERMINATION_TYPES)[number];

const TYPES_TEXT = 'bandit, median_stopping or truncation_selection';
const show = (v: unknown): string => (typeof v === 'string' ? `'${v.length > 60 ? `${v.slice(0, 60)}…` : v}'` : v === undefined ? 'nothing' : v === null ? 'null' : typeof v === 'object' ? (Array.isArray(v) ? 'a list' : 'a mapping') : String(v));

const wholeFrom = (name: string, min: number, max?: number, missing?: string) => {
  const msg = `${name} must be a whole number ${max === undefined ? `of ${min} or more` : `from ${min} to ${max}`}`;
  const n = z.number({ error: (iss) => (iss.input === undefined && missing ? missing : msg) }).int({ error: msg }).min(min, { error: msg });
  return max === undefined ? n : n.max(max, { error: msg });
};
const positiveNumber = (name: string) => {
  const msg = `${name} must be a number greater than 0`;
  return z.number({ error: msg }).refine((n) => Number.isFinite(n), { error: msg }).gt(0, { error: msg });
};

/** Each time a trial logs the primary metric is one interval; 0 reads as 1, as in Azure. */
const evaluation_interval = wholeFrom('evaluation_interval', 0).default(1);
/** Intervals before the first evaluation: a trial is first judged at an interval past this. */
const delay_evaluation = wholeFrom('delay_evaluation', 0).default(0);

const fieldsOf = (type: EarlyTerminationType, fields: string[]) =>
  z.strictObject(
    {},
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? `${type} takes no ${iss.keys.map((k) => `'${k}'`).join(', ')} (its fields: ${fields.join(', ')})`
          : iss.code === 'invalid_type'
            ? 'early_termination must be a mapping with a type'
            : undefined,
    },
  );

export const BanditPolicy = fieldsOf('bandit', ['slack_factor', 'slack_amount', 'evaluation_interval', 'delay_evaluation'])
  .extend({
    type: z.literal('bandit'),
    /** Slack against the best trial as a ratio: maximize stops below best / (1 + slack_factor). */
    slack_factor: positiveNumber('slack_factor').optional(),
    /** Slack against the best trial as an amount: maximize stops below best - slack_amount. */
    slack_amount: positiveNumber('slack_amount').optional(),
    evaluation_interval,
    delay_evaluation,
  })
  .superRefine((p, ctx) => {
    if (p.slack_factor === undefined && p.slack_amount === undefined) ctx.addIssue({ code: 'custom', message: 'bandit needs slack_factor or slack_amount' });
    else if (p.slack_factor !== undefined && p.slack_amount !== undefined) ctx.addIssue({ code: 'custom', message: 'give slack_factor or slack_amount, not both' });
  });
export type BanditPolicy = z.infer<typeof BanditPolicy>;

export const MedianStoppingPolicy = fieldsOf('median_stopping', ['evaluation_interval', 'delay_evaluation']).extend({
  type: z.literal('median_stopping'),
  evaluation_interval,
  delay_evaluation,
});
export type MedianStoppingPolicy = z.infer<typeof MedianStoppingPolicy>;

export const TruncationSelectionPolicy = fieldsOf('truncation_selection', ['truncation_percentage', 'evaluation_interval', 'delay_evaluation', 'exclude_finished_jobs']).extend({
  type: z.literal('truncation_selection'),
  /** The percentage of lowest performing trials stopped at each evaluation. */
  truncation_percentage: wholeFrom('truncation_percentage', 1, 99, 'truncation_selection needs truncation_percentage (a whole number from 1 to 99)'),
  evaluation_interval,
  delay_evaluation,
  /** Leave finished trials out of the ranking. */
  exclude_finished_jobs: z.boolean({ error: 'exclude_finished_jobs must be true or false' }).default(false),
});
export type TruncationSelectionPolicy = z.infer<typeof TruncationSelectionPolicy>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const EarlyTermination = z.discriminatedUnion('type', [BanditPolicy, MedianStoppingPolicy, TruncationSelectionPolicy], {
  error: (iss) =>
    iss.code === 'invalid_union'
      ? `early_termination.type must be ${TYPES_TEXT} (found ${show(isObject(iss.input) ? iss.input.type : undefined)})`
      : iss.code === 'invalid_type'
        ? `early_termination must be a mapping with a type (${TYPES_TEXT}) (found ${show(iss.input)})`
        : undefined,
});
export type EarlyTermination = z.infer<typeof EarlyTermination>;
