/**
 * The admin API's PUT creates or replaces; a create form must not replace. This refuses, at the
 * form's id field, an id that is taken, or one the API refuses (its path's `params/id` error
 * names no body field, so it is put at the id field here).
 */
import { ApiError, api } from '../api';

export async function mustBeNew(path: string, field: string, taken: string): Promise<void> {
  const found = await api.get(path).then(
    () => true,
    (error: ApiError) => {
      if (error.status === 404) return false;
      throw error.status === 400 && error.field === undefined
        ? new ApiError(error.status, error.code, error.message, field)
        : error;
    },
  );
  if (found) throw new ApiError(409, 'conflict', taken, field);
}
