// A page of one of the API's lists, with its filters: what the tasks, accounts and
// materials views show, and the ways to change it.

import { useEffect, useState } from "./vendor/htm-preact.js";
import { call, query } from "./api.js";

export const PAGE_SIZE = 50;

/** The page of `path` that `filters` and the page number choose (`empty` until read). */
export function usePagedList(path, initialFilters, empty) {
  const [filters, setFilters] = useState(initialFilters);
  const [page, setPage] = useState(1);
  const [list, setList] = useState(empty);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let current = true; // an answer to filters changed since is dropped
    call("GET", query(path, { ...filters, page, page_size: PAGE_SIZE }))
      .then((data) => current && setList(data), (e) => current && setError(e));
    return () => { current = false; };
  }, [filters, page, version]);
  return {
    filters, page, setPage, list, setList, error, setError,
    last: Math.max(1, Math.ceil(list.total / PAGE_SIZE)),
    /** A handler that sets the filter `name` to its widget's value, from page 1. */
    filterBy: (name) => (e) => {
      setFilters({ ...filters, [name]: e.currentTarget.value });
      setPage(1);
    },
    /** Read the page again (after a change of ours). */
    again: () => { setError(null); setVersion((v) => v + 1); },
  };
}
