// Command batch is a batch job for gctune's gallery: it does a fixed amount
// of work and exits, so the time it takes is the measure of a GC setting.
//
// It generates -records sales records (deterministic for a -seed), groups
// them by customer into a map of running totals, keeps every record of the
// largest customers alive until the end (as a report job holds its input),
// then sorts the customers and prints one line with a checksum. GC settings
// change how often the growing heap is marked, and so the job's wall time.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
)

// record is one input row: strings and a slice make it pointer-rich, so
// marking a heap of them costs the GC real work.
type record struct {
	customer string
	product  string
	cents    int64
	tags     []string
}

// total is the running aggregate of one customer.
type total struct {
	customer string
	orders   int
	cents    int64
	kept     []*record // the customer's records, kept for the report
}

func main() {
	records := flag.Int("records", 1_500_000, "records to generate and aggregate")
	customers := flag.Int("customers", 50_000, "distinct customers")
	seed := flag.Int64("seed", 1, "seed of the generated input")
	flag.Parse()
	if *records <= 0 || *customers <= 0 {
		fmt.Fprintln(os.Stderr, "batch: -records and -customers must be positive")
		os.Exit(2)
	}

	rng := rand.New(rand.NewSource(*seed))
	totals := make(map[string]*total, *customers)
	for i := 0; i < *records; i++ {
		r := generate(rng, *customers)
		t := totals[r.customer]
		if t == nil {
			t = &total{customer: r.customer}
			totals[r.customer] = t
		}
		t.orders++
		t.cents += r.cents
		if len(t.kept) < 8 { // a bounded sample per customer stays live to the end
			t.kept = append(t.kept, r)
		}
	}

	ranked := make([]*total, 0, len(totals))
	for _, t := range totals {
		ranked = append(ranked, t)
	}
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].cents != ranked[j].cents {
			return ranked[i].cents > ranked[j].cents
		}
		return ranked[i].customer < ranked[j].customer
	})

	var checksum int64
	kept := 0
	for i, t := range ranked {
		checksum = checksum*31 + t.cents + int64(i)
		kept += len(t.kept)
	}
	fmt.Printf("batch: %d records, %d customers, %d kept, top %s, checksum %d\n",
		*records, len(ranked), kept, ranked[0].customer, checksum)
}

// generate makes one record with freshly allocated strings, as parsing a
// line of input would.
func generate(rng *rand.Rand, customers int) *record {
	n := rng.Intn(customers)
	tags := make([]string, 1+rng.Intn(3))
	for i := range tags {
		tags[i] = "tag-" + strconv.Itoa(rng.Intn(100))
	}
	return &record{
		customer: "customer-" + strconv.Itoa(n),
		product:  "product-" + strconv.Itoa(rng.Intn(5000)),
		cents:    int64(100 + rng.Intn(100_000)),
		tags:     tags,
	}
}
