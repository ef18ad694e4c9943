-- version 5: each stored page frame carries the shape (columns) of the code that wrote it; a frame of another
-- shape is ignored and the page computes its numbers live, so new code never reads columns a frame lacks
ALTER TABLE page_frames ADD COLUMN shape INTEGER NOT NULL DEFAULT 0;
