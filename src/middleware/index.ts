// Built-in middleware factories (issue: built-in middleware) are exported from here.
export {};
