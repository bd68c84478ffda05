package filter_test

import (
	"fmt"
	"time"

	"github.com/flowlens/flowlens/filter"
	"github.com/flowlens/flowlens/model"
)

func Example() {
	ix := model.NewIndex(0)
	ix.Ingest(&model.Batch{Source: "example", Data: []byte(
		"2 111122223333 eni-0a1b2c3d4e5f60718 198.51.100.77 10.0.1.25 44321 22 6 3 180 1717236002 1717236058 REJECT OK\n" +
			"2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.140 51514 5432 6 18 3120 1717236000 1717236060 ACCEPT OK\n" +
			"2 111122223333 eni-0fedcba9876543210 - - - - - - - 1717236000 1717236060 - NODATA\n")})
	snap := ix.Publish()

	f, err := filter.CompileAt("action = REJECT and dport 22", time.Unix(1717236600, 0))
	if err != nil {
		panic(err)
	}
	sel := f.Eval(snap, nil)
	fmt.Println(f, "->", sel.Count, "row")

	// absent values behave as SQL NULL: neither = nor != selects them
	for _, expr := range []string{"dstport != 22", "not dstport = 22", "dstport = -"} {
		fmt.Println(expr, "->", filter.MustCompile(expr).Eval(snap, nil).Count)
	}

	_, err = filter.Compile("action = REJECT and dstprt = 22")
	fmt.Println(err.(*filter.Error).Caret())
	// Output:
	// action = REJECT and dstport = 22 -> 1 row
	// dstport != 22 -> 1
	// not dstport = 22 -> 1
	// dstport = - -> 1
	// action = REJECT and dstprt = 22
	//                     ^
	// unknown field dstprt — did you mean dstport?
}

func ExampleFilter_CWLPattern() {
	f := filter.MustCompile("srcaddr in 10.1.0.0/16 and dstport = 443 and tcp-flags has SYN")
	fm := model.MustParseFormat("version srcaddr dstaddr srcport dstport protocol tcp-flags action")
	pattern, residual, exact := f.CWLPattern(fm)
	fmt.Println(pattern)
	fmt.Println("apply locally:", residual, exact)
	// Output:
	// [version, srcaddr = 10.1.*, dstaddr, srcport, dstport = 443, protocol, tcp_flags, action]
	// apply locally: tcp-flags has SYN false
}
