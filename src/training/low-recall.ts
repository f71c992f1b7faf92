import { Type, type Static } from 'typebox';

/**
 * How far below the mean recall a class's recall must fall to be flagged: under half of it, or more than this
 * below it, whichever bar is higher. Half the mean decides when the mean is low (a hard task, where a 0.3 gap
 * is most of the scale), the margin when it is high (0.95 flags a class under 0.65).
 */
export const LOW_RECALL_MARGIN = 0.3;

export const LowRecallSchema = Type.Array(Type.Object({ label: Type.String(), recall: Type.Number() }), {
  description:
    'Classes whose recall is far below the mean recall of the classes with evaluation rows: under max(mean / 2, mean - 0.3). Accuracy can read high while a small class is never found; these are the classes to look at (more rows, classWeight)',
});
export type LowRecall = Static<typeof LowRecallSchema>;

/** The classes with evaluation rows whose recall is far below the mean (see {@link LOW_RECALL_MARGIN}). */
export function lowRecallClasses(
  perClass: ReadonlyArray<{ label: string; recall: number; support: number }>,
): LowRecall {
  // A class without evaluation rows has no recall to judge: the warning about the split names it instead.
  const judged = perClass.filter((c) => c.support > 0);
  if (judged.length < 2) return [];
  const mean = judged.reduce((n, c) => n + c.recall, 0) / judged.length;
  const bar = Math.max(mean / 2, mean - LOW_RECALL_MARGIN);
  return judged.filter((c) => c.recall < bar).map(({ label, recall }) => ({ label, recall }));
}
