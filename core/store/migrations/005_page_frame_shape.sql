-- version 5: each stored page frame carries the shape (columns) of the code that wrote it; a frame of another
-- shape is ignored and the page computes its numbers live, so new code never reads columns a frame lacks.
-- No NOT NULL: DuckDB 1.x cannot add a column with a constraint (frames of before have shape 0, never read)
ALTER TABLE page_frames ADD COLUMN shape INTEGER DEFAULT 0;
