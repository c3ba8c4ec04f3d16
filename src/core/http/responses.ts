// Response declarations shared by routes, so that the OpenAPI document states what they answer.
import { z } from 'zod';

/** A route that answers 204 with no body (deletions): without it the document claimed a 200. */
export const noContent = { 204: z.null().describe('No content') } as const;
