module ledgerline/bench/pipeline_driver

go 1.22
