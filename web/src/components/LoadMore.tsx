// The foot of a cursor-paged list: how many items are shown, and a "Load more" button while
// the API has more. The count is a polite live region, so screen-reader users hear the list
// grow; the button stays focusable while loading (aria-disabled, not disabled, which would
// drop the keyboard focus to the page's start).
export function LoadMore({
  shown,
  noun,
  hasMore,
  loading,
  onLoadMore,
}: {
  shown: number;
  noun: [singular: string, plural: string];
  hasMore: boolean;
  loading: boolean;
  onLoadMore: () => void;
}) {
  return (
    <div className="load-more">
      <p aria-live="polite">
        Showing {shown} {shown === 1 ? noun[0] : noun[1]}
        {hasMore ? "" : shown === 0 ? "." : " (all)."}
      </p>
      {hasMore ? (
        <button
          type="button"
          className="secondary"
          aria-disabled={loading}
          onClick={() => {
            if (!loading) onLoadMore();
          }}
        >
          {loading ? "Loading…" : "Load more"}
        </button>
      ) : null}
    </div>
  );
}
