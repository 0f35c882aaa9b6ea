"""The Textual app: screens compose widgets; the domain does the work behind them."""
