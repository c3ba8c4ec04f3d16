// Work done once when the server starts, after migrations: demo data on an empty database.
import type { AppInstance } from './http/types.ts';

export async function startupTasks(_app: AppInstance): Promise<void> {
  // Demo data arrives with the identity module.
}
