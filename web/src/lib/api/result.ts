// Turns an openapi-fetch result into its data, or throws the ApiError its problem body describes.
import { problemFrom } from "./problem";

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

export async function dataOf<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) throw problemFrom(response, error);
  return data as T;
}
