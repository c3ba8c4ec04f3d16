// Streak levels (product.md §6): a label for a streak of consecutive qualifying days.

const LEVELS: readonly [number, string][] = [
  [50, 'Sales Legend'],
  [30, 'Sales Master'],
  [20, 'Sales Pro'],
  [10, 'Rising Star'],
  [5, 'Getting Started'],
  [1, 'Beginner'],
];

export function streakRating(streak: number): string {
  return LEVELS.find(([min]) => streak >= min)?.[1] ?? 'New';
}

/** The next level above `streak` and the days still needed to reach it (0 and null at the top). */
export function nextLevel(streak: number): { days: number; label: string | null } {
  const next = [...LEVELS].reverse().find(([min]) => min > streak);
  return next ? { days: next[0] - streak, label: next[1] } : { days: 0, label: null };
}
