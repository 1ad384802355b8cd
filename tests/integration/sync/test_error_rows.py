"""The error list names rows as Sheets numbers them (the header is row 1), like the sidebar says them."""


def test_a_bad_row_is_listed_under_its_sheet_row_number(make_stack):
    stack = make_stack(
        [["Anna", "anna@example.com"], ["Boris", "boris@"], ["Vera", "vera@example.com"]],
        ["Имя", "Email"],
    )
    job = stack.sync()
    assert job["status"] == "finished" and job["result"]["errors"] == 1
    (error,) = stack.call("GET", "/errors").json()["errors"]
    assert error["row"] == 3 and 'invalid email "boris@"' in error["message"]
    assert stack.row_of(error["key"])["Имя"] == "Boris"
