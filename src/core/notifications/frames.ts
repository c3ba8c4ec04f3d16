// The WebSocket frames of /ws/notifications/, written like REST responses: by the serialiser
// compiled from a Zod schema (src/core/http/schema-compilers.ts). A notification in a frame is
// therefore exactly the REST list's item (ids as JSON integers, the same fields, nothing else),
// plus `received_at` on a live push.
import { z } from 'zod';
import { wireId } from '../http/fields.ts';
import { serializerCompiler } from '../http/schema-compilers.ts';
import { NotificationOut } from './present.ts';

const frame = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.object({ type: z.literal(type), ...shape });

export const FRAMES = {
  connection_established: frame('connection_established', { message: z.string(), user_id: wireId, organization_id: wireId.nullable(), timestamp: z.string() }),
  notification_batch: frame('notification_batch', { notifications: z.array(NotificationOut), count: z.number().int(), total: z.number().int(), since: z.string().nullable() }),
  notification: frame('notification', { notification: NotificationOut.extend({ received_at: z.string() }) }),
  unread_count: frame('unread_count', { count: z.number().int(), unread_count: z.number().int() }),
  pong: frame('pong', { timestamp: z.string() }),
  // The client's own value back (whatever it sent), so that it can match the answer.
  mark_as_read_response: frame('mark_as_read_response', { notification_id: z.unknown(), success: z.boolean() }),
  mark_all_as_read_response: frame('mark_all_as_read_response', { count: z.number().int(), success: z.boolean() }),
  error: frame('error', { message: z.string() }),
};

export type FrameType = keyof typeof FRAMES;
export type Frame<T extends FrameType> = z.input<(typeof FRAMES)[T]>;
/** Any frame the server sends (a union on `type`). */
export type ServerFrame = { [T in FrameType]: Frame<T> }[FrameType];

const writers = new Map<FrameType, (data: unknown) => string>();

/** The frame as text. Throws if it does not fit its schema (e.g. a malformed event from another process). */
export function encodeFrame(frame: ServerFrame): string {
  let write = writers.get(frame.type);
  if (!write) writers.set(frame.type, (write = serializerCompiler({ schema: FRAMES[frame.type], method: 'GET', url: '/ws/notifications/', httpStatus: '200' })));
  return write(frame);
}
