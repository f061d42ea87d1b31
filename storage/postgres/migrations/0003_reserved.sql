-- Reserved: 0003 is taken by another branch. This placeholder only keeps the numbers without gaps on
-- branch pgmulti (whose migration is 0004); it is deleted when the real 0003 is merged. It changes nothing.
SELECT 1;
