import { Stage } from "../stage/stage.entity";
import { LostReasonCategory } from "./opportunity.enums";

/** The fields that record how a sales opportunity ended. */
export interface Outcome {
  winLossReason: string | null;
  lostReasonCategory: LostReasonCategory | null;
}

type Problem = [field: keyof Outcome, message: string, constraint: string];

/** The seed's rules: a loss category only while lost, a win/loss reason only while won or lost. */
export function outcomeProblems(stage: Stage, outcome: Outcome): Problem[] {
  const problems: Problem[] = [];
  if (outcome.lostReasonCategory && !stage.isLost) {
    problems.push(["lostReasonCategory", "lostReasonCategory is only allowed with stage LOST", "onlyWhenLost"]);
  }
  if (outcome.winLossReason && !stage.isWon && !stage.isLost) {
    problems.push(["winLossReason", "winLossReason is only allowed with stage WON or LOST", "onlyWhenWonOrLost"]);
  }
  return problems;
}

/**
 * The outcome after a move to `to`: what the request gives stands (and is then checked by
 * outcomeProblems); what it leaves out is kept while the new stage allows it and cleared when it
 * does not, so reopening a lost deal drops its loss reasons.
 */
export function outcomeAfterMove(to: Stage, current: Outcome, given: Partial<Outcome>): Outcome {
  return {
    winLossReason: given.winLossReason !== undefined ? given.winLossReason : to.isWon || to.isLost ? current.winLossReason : null,
    lostReasonCategory: given.lostReasonCategory !== undefined ? given.lostReasonCategory : to.isLost ? current.lostReasonCategory : null,
  };
}

/** Trimmed, in first-seen order, without repeats that differ only in case. */
export function distinctNames(names: string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const name of names) {
    const trimmed = name.trim();
    const key = trimmed.toLowerCase();
    if (trimmed && !seen.has(key)) {
      seen.add(key);
      result.push(trimmed);
    }
  }
  return result;
}
