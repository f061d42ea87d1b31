-- Reserved: branch pgport's migration 0002 (the console's and the support desk's tables) takes this number.
-- This placeholder only keeps the numbers without gaps on branch pgmulti (whose migration is 0004); it is
-- deleted when pgport's 0002 is merged. It changes nothing.
SELECT 1;
